# atlas: NixOS 26.05 "Yarara", scaffolded by nixbtw.
# Edit freely: `nixbtw update` merges template improvements into your edits.
# WARNING: alice has no password secret and no SSH key with sshd on: set a password from the installer before the first boot (sudo nixos-enter --root /mnt -c 'passwd alice', see README.md), or nobody can log in.
{
  config,
  lib,
  pkgs,
  inputs,
  ...
}:

{
  imports = [
    ./hardware-configuration.nix
  ];

  networking.hostName = "atlas";
  # The platform is stated here, not left to a generated hardware file:
  # without it nothing evaluates.
  nixpkgs.hostPlatform = "x86_64-linux";
  time.timeZone = "UTC";
  i18n.defaultLocale = "en_US.UTF-8";

  boot.loader.systemd-boot.enable = true;
  # A bounded boot menu keeps the ESP from filling up; older generations stay
  # in the store until garbage collection removes them.
  boot.loader.systemd-boot.configurationLimit = 20;
  # Registers the loader in the firmware's boot menu.
  boot.loader.efi.canTouchEfiVariables = true;

  networking.networkmanager.enable = true;

  # No swap partition was asked for: compressed swap in RAM lets memory
  # spikes pass instead of waking the OOM killer.
  zramSwap.enable = true;

  users.users.alice = {
    isNormalUser = true;
    extraGroups = [
      "wheel"
      "networkmanager"
    ];
  };
  # No password is stored in this repo. Set one from the installer before the
  # first boot (README.md shows how), since root has none and passwd on the
  # running machine asks for the old one:
  #   sudo nixos-enter --root /mnt -c 'passwd alice'

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];
  # Admins may copy store paths to this host (nixos-rebuild --target-host,
  # deploy tools); they can become root with sudo anyway.
  nix.settings.trusted-users = [
    "root"
    "alice"
  ];
  # Collect garbage weekly but keep 30d of generations, so there is
  # always something to roll back to.
  nix.gc = {
    automatic = true;
    dates = "weekly";
    options = "--delete-older-than 30d";
  };
  nix.optimise.automatic = true;

  environment.systemPackages = [
    pkgs.git
  ];

  # The release this host was first installed with. It pins data formats of
  # stateful services (databases, ...), not the package versions: never change
  # it after the install, even when you move nixpkgs to a newer release.
  system.stateVersion = "26.05";
}
