# Read only by the agenix CLI, never imported into a system: who can decrypt
# each file. Edit a secret with `agenix -e <file>` inside this directory;
# after changing keys, re-encrypt everything with `agenix -r`.
let
  # The admins who may decrypt each host's secrets.
  admins = {
    "vault" = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF9AY+GrFUm57eOxLOZrxFxOu0RcAvuaECgbMrxY9ytg bob@desk"
    ];
  };
  # Each host's SSH host key. Fill it in once the host exists, then run `agenix -r`:
  #   ssh-keyscan -t ed25519 <host>
  hosts = {
    vault = [ ];
  };
in
{
  # bob's password hash on vault: mkpasswd -m yescrypt | agenix -e vault-bob-password.age
  "vault-bob-password.age".publicKeys = admins."vault" ++ hosts.vault;
}
