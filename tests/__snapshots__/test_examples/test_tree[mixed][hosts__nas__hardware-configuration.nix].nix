# PLACEHOLDER: replace this file with the one the machine generates.
#
# nixbtw never invents filesystem UUIDs: a guessed UUID boots into an
# emergency shell. Generate the real file on the machine (or from its installer):
#   nixos-generate-config --no-filesystems --show-hardware-config > hosts/nas/hardware-configuration.nix
# (--no-filesystems: disko.nix declares the filesystems for this host.)
# or let nixos-anywhere write it during the install:
#   nixos-anywhere --generate-hardware-config nixos-generate-config ./hosts/nas/hardware-configuration.nix ...
# Then `git add` it: a flake only sees files git tracks.
{ lib, ... }:

{
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";

  assertions = [
    {
      # Fails until the file is replaced: a placeholder must never be installed,
      # even when disko supplies the filesystems.
      assertion = false;
      message = "hosts/nas/hardware-configuration.nix is still nixbtw's placeholder: generate it with nixos-generate-config (see the comment at its top).";
    }
  ];
}
