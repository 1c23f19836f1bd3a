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
  # deploy-rs's activation wrappers from its own flake (its binary built against
  # this repository's nixpkgs): nixpkgs' deploy-rs predates its fixes for the
  # derivation output of current Nix.
  nixos =
    system: name:
    inputs.deploy-rs.lib.${system}.activate.nixos self.nixosConfigurations.${name};
  darwin =
    system: name:
    inputs.deploy-rs.lib.${system}.activate.darwin self.darwinConfigurations.${name};
in
{
  nodes = {
    vault = {
      hostname = "vault.lan";
      sshUser = "bob";
      # sudo asks bob for a password on vault: deploy-rs prompts for it.
      interactiveSudo = true;
      magicRollback = true;
      autoRollback = true;
      profiles.system = {
        user = "root";
        path = nixos "x86_64-linux" "vault";
      };
    };
  };
}
