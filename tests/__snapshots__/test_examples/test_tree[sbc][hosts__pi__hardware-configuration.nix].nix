# PLACEHOLDER: replace this file with the one the machine generates.
#
# nixbtw never invents filesystem UUIDs: a guessed UUID boots into an
# emergency shell. Generate the real file on the machine (or from its installer):
#   nixos-generate-config --show-hardware-config > hosts/pi/hardware-configuration.nix
# or let nixos-anywhere write it during the install:
#   nixos-anywhere --generate-hardware-config nixos-generate-config ./hosts/pi/hardware-configuration.nix ...
# Then `git add` it: a flake only sees files git tracks.
{ lib, ... }:

{
  nixpkgs.hostPlatform = lib.mkDefault "aarch64-linux";

  assertions = [
    {
      # Fails until the file is replaced: a placeholder must never be installed.
      assertion = false;
      message = "hosts/pi/hardware-configuration.nix is still nixbtw's placeholder: generate it with nixos-generate-config (see the comment at its top).";
    }
  ];
}
