# kestrel: NixOS 26.05 "Yarara", scaffolded by nixbtw.
# Edit freely: `nixbtw update` merges template improvements into your edits.
# WARNING: jun has no password secret and no SSH key with sshd on: set a password from the installer before the first boot (sudo nixos-enter --root /mnt -c 'passwd jun', see README.md), or nobody can log in.
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
    inputs.determinate.nixosModules.default
  ];

  networking.hostName = "kestrel";
  # The platform is stated here, not left to a generated hardware file:
  # without it nothing evaluates.
  nixpkgs.hostPlatform = "x86_64-linux";
  time.timeZone = "Asia/Tokyo";
  i18n.defaultLocale = "en_US.UTF-8";

  boot.loader.systemd-boot.enable = true;
  # A bounded boot menu keeps the ESP from filling up; older generations stay
  # in the store until garbage collection removes them.
  boot.loader.systemd-boot.configurationLimit = 20;
  # Registers the loader in the firmware's boot menu.
  boot.loader.efi.canTouchEfiVariables = true;

  # Microcode and firmware blobs fix CPU errata and make Wi-Fi/GPU work.
  hardware.enableRedistributableFirmware = true;
  hardware.cpu.amd.updateMicrocode = true;

  hardware.graphics.enable = true;

  networking.networkmanager.enable = true;

  # No swap partition was asked for: compressed swap in RAM lets memory
  # spikes pass instead of waking the OOM killer.
  zramSwap.enable = true;

  users.users.jun = {
    isNormalUser = true;
    extraGroups = [
      "wheel"
      "networkmanager"
    ];
  };
  # No password is stored in this repo. Set one from the installer before the
  # first boot (README.md shows how), since root has none and passwd on the
  # running machine asks for the old one:
  #   sudo nixos-enter --root /mnt -c 'passwd jun'

  # Determinate Nix (the determinate module above) installs and configures Nix
  # itself, flakes included; do not also set nix.package.
  # Admins may copy store paths to this host (nixos-rebuild --target-host,
  # deploy tools); they can become root with sudo anyway.
  # Determinate's module moves this nix.conf to /etc/nix/nix.custom.conf, which
  # its own nix.conf includes, so the setting still applies.
  nix.settings.trusted-users = [
    "root"
    "jun"
  ];
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
    allowUnfreePackages = [
      "obsidian" # asked for in the answers
    ];
    permittedInsecurePackages = [
      "electron-27.3.11"
    ];
  };

  environment.systemPackages = [
    pkgs.git
    pkgs.obsidian
  ];

  # The release this host was first installed with. It pins data formats of
  # stateful services (databases, ...), not the package versions: never change
  # it after the install, even when you move nixpkgs to a newer release.
  system.stateVersion = "26.05";
}
