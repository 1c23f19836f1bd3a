# Read only by the agenix CLI, never imported into a system: who can decrypt
# each secret the hosts read. Edit one with `nix develop .. -c agenix -e <file>`
# inside this directory; after changing keys, re-encrypt with `nix develop .. -c agenix -r`.
let
  # The admins who may decrypt each host's secrets.
  admins = {
    "vault" = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF9AY+GrFUm57eOxLOZrxFxOu0RcAvuaECgbMrxY9ytg bob@desk"
    ];
  };
  # Each host's SSH host key: nixbtw bootstrap fills it in, or by hand from
  # `ssh-keyscan -t ed25519 <host>`; then re-encrypt with `agenix -r`.
  hosts = {
    vault = [ ];
  };
in
{
  # bob's password hash on vault (its README creates it)
  "vault-bob-password.age".publicKeys = admins."vault" ++ hosts.vault;
}
