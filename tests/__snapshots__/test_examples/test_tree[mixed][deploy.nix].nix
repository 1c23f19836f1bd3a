# deploy-rs nodes, one per host with a `deploy` answer (its .copier-answers.yml).
# `nixbtw deploy` runs deploy-rs on them; `nix develop -c deploy -s .#<host>` too.
# A node rolls back by itself when the new generation fails to activate
# (autoRollback) or cuts the SSH connection deploy-rs confirms it over
# (magicRollback). Rolling back activates the previous generation with its own
# deploy-rs script, so it works once a deploy-rs deploy has happened: after an
# install or a nixos-rebuild / darwin-rebuild switch, deploy the same
# configuration once before deploying changes.
{ self, inputs }:
let
  # deploy-rs (its activation wrappers and the activate-rs they run) from its
  # own flake's overlay, built with the nixpkgs each host uses: nixpkgs' own
  # deploy-rs predates its fixes for the derivation output of current Nix.
  activate =
    nixpkgs: system:
    let
      pkgs = nixpkgs.legacyPackages.${system}.extend inputs.deploy-rs.overlays.default;
    in
    pkgs.deploy-rs.lib.activate;
  nixos =
    system: name:
    (activate inputs.nixpkgs system).nixos self.nixosConfigurations.${name};
  darwin =
    system: name:
    (activate inputs.nixpkgs-darwin system).darwin self.darwinConfigurations.${name};
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
        path = darwin "aarch64-darwin" "air";
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
        path = nixos "x86_64-linux" "nas";
      };
    };
  };
}
