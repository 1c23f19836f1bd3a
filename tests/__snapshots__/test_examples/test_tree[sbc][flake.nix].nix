{
  description = "Hosts scaffolded by nixbtw";

  inputs = {
    # every other input follows this one: one nixpkgs in the lock
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
  };

  outputs =
    { self, nixpkgs, ... }@inputs:
    let
      inherit (nixpkgs) lib;
      # Every folder under hosts/ with a configuration.nix is a NixOS host, so
      # adding one needs no edit here.
      hostNames = lib.attrNames (
        lib.filterAttrs (
          name: type: type == "directory" && builtins.pathExists ./hosts/${name}/configuration.nix
        ) (builtins.readDir ./hosts)
      );
      mkHost =
        name:
        lib.nixosSystem {
          specialArgs = { inherit inputs; };
          modules = [ ./hosts/${name}/configuration.nix ];
        };
    in
    {
      # Switch with: sudo nixos-rebuild switch --flake .#<host>
      nixosConfigurations = lib.genAttrs hostNames mkHost;

      # `nix flake check` evaluates and builds every host and home, not just the one you switch.
      checks = lib.recursiveUpdate (lib.foldlAttrs (
        acc: name: host:
        lib.recursiveUpdate acc {
          ${host.pkgs.stdenv.hostPlatform.system}."host-${name}" = host.config.system.build.toplevel;
        }
      ) { } self.nixosConfigurations) {
      };
    };
}
