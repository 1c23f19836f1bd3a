{
  description = "Hosts scaffolded by nixbtw";

  inputs = {
    # NixOS hosts and Linux homes build from this one, and every input but nix-darwin follows it
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
    # the same release's branch for Macs, tested on macOS and built by its binary cache
    nixpkgs-darwin.url = "github:NixOS/nixpkgs/nixpkgs-26.05-darwin";
    # must match the nixpkgs release or evaluation stops; the Macs' nixpkgs is the one it follows
    nix-darwin = {
      url = "github:nix-darwin/nix-darwin/nix-darwin-26.05";
      inputs.nixpkgs.follows = "nixpkgs-darwin";
    };
    # the release branch that matches nixpkgs
    home-manager = {
      url = "github:nix-community/home-manager/release-26.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    disko = {
      url = "github:nix-community/disko/latest";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    sops-nix = {
      url = "github:Mic92/sops-nix";
      inputs.nixpkgs.follows = "nixpkgs";
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
      # A Mac's packages come from the darwin branch of nixpkgs, as its system's do.
      isMac = lib.hasSuffix "-darwin";
      pkgsFor =
        system:
        (if isMac system then inputs.nixpkgs-darwin else nixpkgs).legacyPackages.${system};
      # Every folder under hosts/ with a configuration.nix is a host: a Mac when
      # it is named here (nixbtw adds each Mac it makes), NixOS otherwise.
      macs = [ "air" ];
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
      mkMac =
        name:
        inputs.nix-darwin.lib.darwinSystem {
          specialArgs = { inherit inputs; };
          modules = [ ./hosts/${name}/configuration.nix ];
        };
      # Standalone home-manager with the nixpkgs of the home's platform.
      mkHome =
        system: username: modules:
        inputs.home-manager.lib.homeManagerConfiguration {
          pkgs = pkgsFor system;
          extraSpecialArgs = { inherit inputs; };
          modules = modules ++ [
            {
              home.username = username;
              home.homeDirectory = (if isMac system then "/Users/" else "/home/") + username;
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
      # Switch with: sudo nixos-rebuild switch --flake .#<host>
      nixosConfigurations = lib.genAttrs (lib.subtractLists macs hostNames) mkHost;

      # Switch with: sudo darwin-rebuild switch --flake .#<host>
      darwinConfigurations = lib.genAttrs (lib.intersectLists macs hostNames) mkMac;

      # Switch with: home-manager switch --flake .#<user>@<host>
      homeConfigurations = {
        "ivy@air" = mkHome "aarch64-darwin" "ivy" [
          ./hosts/air/home-manager.nix
          ./hosts/air/home/ivy.nix
        ];
        "ivy@devbox" = mkHome "x86_64-linux" "ivy" [
          ./hosts/devbox/home-manager.nix
          ./hosts/devbox/home/ivy.nix
        ];
      };

      # The tools the hosts' READMEs run, at the versions flake.lock pins:
      # nix develop -c <tool> ...
      devShells = lib.genAttrs systems (
        system:
        let
          pkgs = pkgsFor system;
        in
        {
          default = pkgs.mkShell {
            packages = [
              pkgs.nixos-anywhere # installs a host over SSH
              pkgs.sops # edits and re-encrypts secrets/<host>.yaml
              pkgs.ssh-to-age # turns a host's SSH key into its age key
              pkgs.age # age-keygen makes your own age key
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
      formatter = lib.genAttrs systems (system: (pkgsFor system).nixfmt-tree);

      # The deploy-rs nodes of the hosts with a deploy target: nixbtw deploy [HOST ...]
      deploy = import ./deploy.nix { inherit self inputs; };

      # `nix flake check` builds every host and home of the platform it runs on (a Mac's
      # on macOS), and boots every NixOS host that has a VM test (vm-<host>, needs KVM).
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
      ) macChecks self.nixosConfigurations;
    };
}
