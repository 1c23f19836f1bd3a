# Secrets for frame with sops-nix. Only ciphertext is in this repo
# and the Nix store; the host decrypts at activation with its SSH host key
# (/etc/ssh/ssh_host_ed25519_key) into /run, which never reaches the disk.
{ config, ... }:

{
  # sshd is off, but the host still needs its key to decrypt: generate it.
  services.openssh.generateHostKeys = true;

  # Create it with `sops secrets/frame.yaml` (see README.md, "Secrets").
  sops.defaultSopsFile = ../../secrets/frame.yaml;
  # Stated explicitly: sops-nix only defaults to the host key when sshd is on.
  sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
  # Decrypted before users are created, so the password applies at first boot.
  sops.secrets."users/alice/hashed-password".neededForUsers = true;
}
