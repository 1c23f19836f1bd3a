{
  description = "macOS hosts scaffolded by nixbtw";

  inputs = {
    # every other input follows this one: one nixpkgs in the lock
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-26.05-darwin";
    # must match the nixpkgs release or evaluation stops
    nix-darwin = {
      url = "github:nix-darwin/nix-darwin/nix-darwin-26.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    # the release branch that matches nixpkgs
    home-manager = {
      url = "github:nix-community/home-manager/release-26.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    agenix = {
      url = "github:ryantm/agenix";
      inputs.nixpkgs.follows = "nixpkgs";
      inputs.darwin.follows = "";
      inputs.home-manager.follows = "";
    };
    # no follows: Determinate's cache hits need its own nixpkgs
    determinate.url = "https://flakehub.com/f/DeterminateSystems/determinate/3";
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
      # Every folder under hosts/ with a configuration.nix is a Mac, so adding
      # one needs no edit here.
      hostNames = lib.attrNames (
        lib.filterAttrs (
          name: type: type == "directory" && builtins.pathExists ./hosts/${name}/configuration.nix
        ) (builtins.readDir ./hosts)
      );
      mkMac =
        name:
        inputs.nix-darwin.lib.darwinSystem {
          specialArgs = { inherit inputs; };
          modules = [ ./hosts/${name}/configuration.nix ];
        };
      mkHome =
        system: username: modules:
        inputs.home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.${system};
          extraSpecialArgs = { inherit inputs; };
          modules = modules ++ [
            {
              home.username = username;
              home.homeDirectory = "/Users/${username}";
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
      # Every Mac's system, built by `nix flake check` on macOS: a Mac has no VM
      # test, so building is the proof.
      macChecks = lib.foldlAttrs (
        acc: name: host:
        lib.recursiveUpdate acc {
          ${host.config.nixpkgs.hostPlatform.system}."host-${name}" = host.system;
        }
      ) homeChecks self.darwinConfigurations;
    in
    {
      # Switch with: sudo darwin-rebuild switch --flake .#<host>
      darwinConfigurations = lib.genAttrs hostNames mkMac;

      # Switch with: home-manager switch --flake .#<user>@<host>
      homeConfigurations = {
        "gina@studio" = mkHome "aarch64-darwin" "gina" [
          ./hosts/studio/home-manager.nix
          ./hosts/studio/home/gina.nix
        ];
      };

      # The tools the hosts' READMEs run, at the versions flake.lock pins:
      # nix develop -c <tool> ...
      devShells = lib.genAttrs systems (
        system:
        let
          pkgs = nixpkgs.legacyPackages.${system};
        in
        {
          default = pkgs.mkShell {
            packages = [
              pkgs.age # age-keygen makes your own age key
              inputs.agenix.packages.${system}.agenix # edits and re-keys secrets/*.age
            ];
          };
        }
      );

      # `nix fmt` formats every .nix file with nixfmt (RFC 166 style), the way
      # nixbtw writes them, so a template update merges without noise.
      formatter = lib.genAttrs systems (system: nixpkgs.legacyPackages.${system}.nixfmt-tree);

      # `nix flake check` builds every Mac and every home.
      checks = macChecks;
    };
}
