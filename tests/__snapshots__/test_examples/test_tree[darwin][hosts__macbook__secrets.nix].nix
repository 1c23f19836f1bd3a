# Secrets for macbook with sops-nix. Only ciphertext is in this repo
# and the Nix store; the Mac decrypts at activation with
# its SSH host key (/etc/ssh/ssh_host_ed25519_key; see README.md, "Secrets").
# Files and services only: nix-darwin cannot set a macOS password.
{ config, ... }:

{
  # Create it with `nix develop -c sops secrets/macbook.yaml` (see README.md, "Secrets").
  sops.defaultSopsFile = ../../secrets/macbook.yaml;
  # Stated explicitly, though it is sops-nix's default on darwin.
  sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
  # age only: sops-nix would also import the RSA host key as a GPG key.
  sops.gnupg.sshKeyPaths = [ ];

  # An example: add `example: ...` to secrets/macbook.yaml, uncomment, and
  # switch; a program reads it from config.sops.secrets.example.path
  # (/run/secrets/example), readable by its owner only.
  # sops.secrets.example.owner = "frank";
}
