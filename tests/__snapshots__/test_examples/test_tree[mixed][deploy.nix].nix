# deploy-rs nodes, one per host with a `deploy` answer (its .copier-answers.yml).
# `nixbtw deploy` runs deploy-rs on them; `nix develop -c deploy .#<host>` too.
# A node rolls back by itself when the new generation fails to activate
# (autoRollback) or cuts the SSH connection deploy-rs confirms it over
# (magicRollback): a broken sshd or firewall cannot lock you out.
{ self, inputs }:
let
  # deploy-rs's activation scripts around the deploy-rs binary nixpkgs builds,
  # so it comes from the binary cache instead of a Rust build per host.
  activate =
    nixpkgs: system:
    let
      pkgs = nixpkgs.legacyPackages.${system};
      deployPkgs = import nixpkgs {
        inherit system;
        overlays = [
          inputs.deploy-rs.overlays.default
          (_final: prev: {
            deploy-rs = {
              inherit (pkgs) deploy-rs;
              inherit (prev.deploy-rs) lib;
            };
          })
        ];
      };
    in
    deployPkgs.deploy-rs.lib.activate;
in
{
  nodes = {
    air = {
      hostname = "air.local";
      sshUser = "ivy";
      # sudo asks ivy for a password on air: deploy-rs prompts for it.
      interactiveSudo = true;
      magicRollback = true;
      autoRollback = true;
      profiles.system = {
        user = "root";
        path = (activate inputs.nixpkgs-darwin "aarch64-darwin").darwin self.darwinConfigurations.air;
      };
    };
    nas = {
      hostname = "nas.lan";
      sshUser = "ivy";
      # sudo asks ivy for a password on nas: deploy-rs prompts for it.
      interactiveSudo = true;
      magicRollback = true;
      autoRollback = true;
      profiles.system = {
        user = "root";
        path = (activate inputs.nixpkgs "x86_64-linux").nixos self.nixosConfigurations.nas;
      };
    };
  };
}
