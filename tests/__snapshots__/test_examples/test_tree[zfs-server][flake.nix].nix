{
  description = "Hosts scaffolded by nixbtw";

  inputs = {
    # every other input follows this one: one nixpkgs in the lock
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
    disko = {
      url = "github:nix-community/disko/latest";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    agenix = {
      url = "github:ryantm/agenix";
      inputs.nixpkgs.follows = "nixpkgs";
      inputs.darwin.follows = "";
      inputs.home-manager.follows = "";
    };
    # its own build: nixpkgs' deploy-rs predates its fixes for current Nix
    deploy-rs = {
      url = "github:serokell/deploy-rs";
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
      # A host with a vm-test.nix boots in QEMU under the NixOS test framework.
      # No node.pkgs: the VM builds its nixpkgs from the host's own nixpkgs.*
      # settings (platform, unfree list), as the machine does.
      mkVmTest =
        name: host:
        lib.nixos.runTest {
          hostPkgs = nixpkgs.legacyPackages.${host.pkgs.stdenv.hostPlatform.system};
          node.specialArgs = { inherit inputs; };
          imports = [ ./hosts/${name}/vm-test.nix ];
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
      # Switch with: sudo nixos-rebuild switch --flake .#<host>
      nixosConfigurations = lib.genAttrs hostNames mkHost;

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
              pkgs.nixos-anywhere # installs a host over SSH
              inputs.agenix.packages.${system}.agenix # edits and re-keys secrets/*.age
              pkgs.mkpasswd # hashes a password for a password secret
              (pkgs.extend inputs.deploy-rs.overlays.default).deploy-rs.deploy-rs # nixbtw deploy
            ]
            # Linux only: disko needs nixos-install, which does not build on macOS.
            ++ lib.optionals pkgs.stdenv.hostPlatform.isLinux [
              pkgs.disko # formats a disk by hand from the installer
            ];
          };
        }
      );

      # `nix fmt` formats every .nix file with nixfmt (RFC 166 style), the way
      # nixbtw writes them, so a template update merges without noise.
      formatter = lib.genAttrs systems (system: nixpkgs.legacyPackages.${system}.nixfmt-tree);

      # The deploy-rs nodes of the hosts with a deploy target: nixbtw deploy [HOST ...]
      deploy = import ./deploy.nix { inherit self inputs; };

      # `nix flake check` builds every host, not just the one you switch,
      # and boots every host that has a VM test (vm-<host>, needs KVM).
      checks = lib.foldlAttrs (
        acc: name: host:
        lib.recursiveUpdate acc {
          ${host.pkgs.stdenv.hostPlatform.system} = {
            "host-${name}" = host.config.system.build.toplevel;
          }
          // lib.optionalAttrs (builtins.pathExists ./hosts/${name}/vm-test.nix) {
            "vm-${name}" = mkVmTest name host;
          };
        }
      ) homeChecks self.nixosConfigurations;
    };
}
