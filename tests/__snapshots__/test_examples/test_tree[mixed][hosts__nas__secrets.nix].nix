# Secrets for nas with sops-nix. Only ciphertext is in this repo
# and the Nix store; the host decrypts at activation with its SSH host key
# (/etc/ssh/ssh_host_ed25519_key) into /run, which never reaches the disk.
{ config, ... }:

{
  # Create it with `sops secrets/nas.yaml` (see README.md, "Secrets").
  sops.defaultSopsFile = ../../secrets/nas.yaml;
  # Stated explicitly: sops-nix only defaults to the host key when sshd is on.
  sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
  # Decrypted before users are created, so the password applies at first boot.
  sops.secrets."users/ivy/hashed-password".neededForUsers = true;
}
