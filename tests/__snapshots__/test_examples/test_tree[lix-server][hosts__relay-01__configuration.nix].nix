# relay-01: NixOS 26.05 "Yarara", scaffolded by nixbtw.
# Edit freely: `nixbtw update` merges template improvements into your edits.
# WARNING: ops logs in with SSH keys only and has no password, so sudo does not ask for one.
# WARNING: packages.unfree: all admits every unfree package; naming them keeps surprises out.
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

  networking.hostName = "relay-01";
  # The platform is stated here, not left to a generated hardware file:
  # without it nothing evaluates.
  nixpkgs.hostPlatform = "aarch64-linux";
  time.timeZone = "UTC";
  i18n.defaultLocale = "en_US.UTF-8";

  boot.loader.grub = {
    enable = true;
    efiSupport = true;
    # UEFI: GRUB installs to the ESP, not to a disk's boot sector.
    device = "nodev";
    # Installed at the removable-media path, which firmware boots without EFI variables.
    efiInstallAsRemovable = true;
    configurationLimit = 20;
  };
  # aarch64: the loader is installed at the removable-media path and EFI
  # variables are not written, since many boards' firmware cannot store them. A
  # board that boots through U-Boot without UEFI needs boot.loader: extlinux.
  boot.loader.efi.canTouchEfiVariables = false;
  # A pinned LTS series instead of the release default (6.18).
  boot.kernelPackages = pkgs.linuxPackages_6_12;

  # No swap partition was asked for: compressed swap in RAM lets memory
  # spikes pass instead of waking the OOM killer.
  zramSwap.enable = true;

  users.users.ops = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
    openssh.authorizedKeys.keys = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF9AY+GrFUm57eOxLOZrxFxOu0RcAvuaECgbMrxY9ytg bob@desk"
    ];
  };

  # ops logs in with SSH keys only and has no password, and root has none
  # either: without this, sudo would ask for a password that does not exist and
  # nobody could ever rebuild this machine.
  security.sudo.wheelNeedsPassword = false;

  services.openssh = {
    enable = true;
    # The port deploy.ssh_port answers (the firewall opens it: openFirewall).
    ports = [ 2222 ];
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
  # Admins may copy store paths to this host (nixos-rebuild --target-host,
  # deploy tools); they can become root with sudo anyway.
  nix.settings.trusted-users = [
    "root"
    "ops"
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
