# Read only by the agenix CLI, never imported into a system: who can decrypt
# each secret the hosts read. Edit one with `nix develop .. -c agenix -e <file>`
# inside this directory; after changing keys, re-encrypt with `nix develop .. -c agenix -r`.
let
  # The admins who may decrypt each host's secrets.
  admins = {
    "studio" = [
      "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    ];
  };
  # Each host's SSH host key: nixbtw bootstrap fills it in, or by hand from
  # `ssh-keyscan -t ed25519 <host>`; then re-encrypt with `agenix -r`.
  hosts = {
    # A Mac: on it, `cat /etc/ssh/ssh_host_ed25519_key.pub`, or `age-keygen -y`
    # on its age key file (hosts/studio/README.md says which).
    studio = [ ];
  };
in
{
  # an example secret for studio (its secrets.nix reads it once uncommented)
  "studio-example.age".publicKeys = admins."studio" ++ hosts.studio;
}
