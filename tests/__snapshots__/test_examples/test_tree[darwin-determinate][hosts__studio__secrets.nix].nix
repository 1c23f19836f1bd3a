# Secrets for studio with agenix. Only ciphertext is in this repo
# and the Nix store; the Mac decrypts at activation with
# the age key in /Users/gina/.config/age/keys.txt.
# Files and services only: nix-darwin cannot set a macOS password.
{ config, ... }:

{
  # Only the key file: agenix's darwin default is the SSH host keys.
  age.identityPaths = [ "/Users/gina/.config/age/keys.txt" ];

  # An example: create it with `nix develop .. -c agenix -e studio-example.age` inside
  # secrets/, uncomment, and switch; a program reads it from
  # config.age.secrets.studio-example.path (/run/agenix/studio-example).
  # age.secrets.studio-example = {
  #   file = ../../secrets/studio-example.age;
  #   owner = "gina";
  # };
}
