# relay-01: NixOS 26.05 "Yarara", scaffolded by nixbtw.
# Edit freely: `nixbtw update` merges template improvements into your edits.
# WARNING: packages.unfree: all admits every unfree package; naming them keeps surprises out.
{ config, lib, pkgs, inputs, ... }:

{
  imports = [
    ./hardware-configuration.nix
  ];

  networking.hostName = "relay-01";
  time.timeZone = "UTC";
  i18n.defaultLocale = "en_US.UTF-8";

  boot.loader.grub = {
    enable = true;
    efiSupport = true;
    # EFI only: GRUB installs to the ESP, not to a disk's boot sector.
    device = "nodev";
    configurationLimit = 20;
  };
  boot.loader.efi.canTouchEfiVariables = true;
  # A pinned LTS series instead of the release default (6.18).
  boot.kernelPackages = pkgs.linuxPackages_6_12;

  users.users.ops = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
    openssh.authorizedKeys.keys = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF9AY+GrFUm57eOxLOZrxFxOu0RcAvuaECgbMrxY9ytg bob@desk"
    ];
  };
  # No password is stored in this repo. Set one on the machine with `passwd`;
  # it survives rebuilds because users.mutableUsers stays true.

  services.openssh = {
    enable = true;
    settings = {
      # Keys only: passwords over SSH are what brute-force bots try.
      PasswordAuthentication = false;
      KbdInteractiveAuthentication = false;
      PermitRootLogin = "no";
    };
  };

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];
  # Lix from nixpkgs, as the Lix project recommends for its released versions.
  nix.package = pkgs.lixPackageSets.stable.lix;
  # Collect garbage weekly but keep 30d of generations, so there is
  # always something to roll back to.
  nix.gc = {
    automatic = true;
    dates = "weekly";
    options = "--delete-older-than 30d";
  };
  nix.optimise.automatic = true;

  # The unfree and insecure gates, by name: a package not listed here fails to
  # evaluate instead of slipping in.
  nixpkgs.config = {
    # Every unfree package is allowed (packages.unfree: all). Listing names
    # instead keeps surprises out.
    # nixbtw: ignore[NBT003] chosen deliberately in the answers
    allowUnfree = true;
  };

  environment.systemPackages = [
    pkgs.git
    pkgs.htop
    pkgs.tmux
  ];

  # The release this host was first installed with. It pins data formats of
  # stateful services (databases, ...), not the package versions: never change
  # it after the install, even when you move nixpkgs to a newer release.
  system.stateVersion = "26.05";
}
