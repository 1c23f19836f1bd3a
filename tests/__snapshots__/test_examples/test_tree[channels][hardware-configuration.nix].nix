# PLACEHOLDER: replace this file with the one the machine generates.
#
# nixbtw never invents filesystem UUIDs: a guessed UUID boots into an
# emergency shell. Generate the real file on the machine (or from its installer):
#   sudo nixos-generate-config
# (it rewrites hardware-configuration.nix and leaves configuration.nix alone).
{ lib, ... }:

{
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";

  assertions = [
    {
      # Fails until the file is replaced: a placeholder must never be installed.
      assertion = false;
      message = "hardware-configuration.nix is still nixbtw's placeholder: generate it with nixos-generate-config (see the comment at its top).";
    }
  ];
}
