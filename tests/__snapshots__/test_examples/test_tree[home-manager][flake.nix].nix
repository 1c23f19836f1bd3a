{
  description = "Hosts scaffolded by nixbtw";

  inputs = {
    # every other input follows this one: one nixpkgs in the lock
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
    # the release branch that matches nixpkgs
    home-manager = {
      url = "github:nix-community/home-manager/release-26.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    { self, nixpkgs, ... }@inputs:
    let
      inherit (nixpkgs) lib;
      # Where an admin runs `nix develop` and `nix fmt` from, whatever the hosts run.
      systems = [
        "aarch64-darwin"
        "aarch64-linux"
        "x86_64-linux"
      ];
      # Standalone home-manager with the same nixpkgs as everything else.
      mkHome =
        system: username: modules:
        inputs.home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.${system};
          extraSpecialArgs = { inherit inputs; };
          modules = modules ++ [
            {
              home.username = username;
              home.homeDirectory = "/home/${username}";
            }
          ];
        };
      # Every home's activation package, built by `nix flake check`.
      homeChecks = lib.foldlAttrs (
        acc: name: home:
        lib.recursiveUpdate acc {
          ${home.activationPackage.system}."home-${name}" = home.activationPackage;
        }
      ) { } (self.homeConfigurations or { });
    in
    {
      # Switch with: home-manager switch --flake .#<user>@<host>
      homeConfigurations = {
        "hugo@devbox" = mkHome "x86_64-linux" "hugo" [
          ./hosts/devbox/home-manager.nix
          ./hosts/devbox/home/hugo.nix
        ];
      };

      # `nix fmt` formats every .nix file with nixfmt (RFC 166 style), the way
      # nixbtw writes them, so a template update merges without noise.
      formatter = lib.genAttrs systems (system: nixpkgs.legacyPackages.${system}.nixfmt-tree);

      # `nix flake check` builds every home, not just the one you switch.
      checks = homeChecks;
    };
}
