{
  description = "Hosts scaffolded by nixbtw";

  inputs = {
    # every other input follows this one: one nixpkgs in the lock
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
    disko = {
      url = "github:nix-community/disko/latest";
      inputs.nixpkgs.follows = "nixpkgs";
    };
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

      # The tools the hosts' READMEs run, at the versions flake.lock pins:
      # nix develop -c <tool> ...
      devShells = lib.genAttrs [
        "aarch64-darwin"
        "aarch64-linux"
        "x86_64-linux"
      ] (
        system:
        let
          pkgs = nixpkgs.legacyPackages.${system};
        in
        {
          default = pkgs.mkShell {
            packages = [
              pkgs.nixos-anywhere # installs a host over SSH
              pkgs.disko # formats a disk by hand from the installer
            ];
          };
        }
      );

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
