# Secrets for vault with agenix. Only ciphertext is in this repo
# and the Nix store; the host decrypts at activation with its SSH host key
# (/etc/ssh/ssh_host_ed25519_key) into /run, which never reaches the disk.
{ config, ... }:

{
  # Stated explicitly: agenix only defaults to the host key when sshd is on.
  age.identityPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
  # Create it with `agenix -e vault-bob-password.age` inside secrets/ (see README.md, "Secrets").
  age.secrets.vault-bob-password.file = ../../secrets/vault-bob-password.age;
}
