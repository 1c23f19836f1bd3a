# vault: NixOS 26.05 "Yarara", scaffolded by nixbtw.
# Edit freely: `nixbtw update` merges template improvements into your edits.
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
    ./disko.nix
    ./secrets.nix
    inputs.disko.nixosModules.disko
    inputs.agenix.nixosModules.default
  ];

  networking.hostName = "vault";
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

  # ZFS refuses to import a pool written by another host: hostId must be set
  # and stable. Derived from the host name, so it never changes by accident.
  networking.hostId = "e6f0a1fb";
  boot.supportedFilesystems = [ "zfs" ];
  # Import only pools that were exported cleanly; forcing can corrupt a pool
  # that another system still has open.
  boot.zfs.forceImportRoot = false;

  # Microcode and firmware blobs fix CPU errata and make Wi-Fi/GPU work.
  hardware.enableRedistributableFirmware = true;
  hardware.cpu.intel.updateMicrocode = true;

  # A server: nixbtw's defaults for this kind are written out below, each
  # one an answer you can change in the answers file.

  # ZFS upkeep: a monthly scrub finds and repairs silent corruption; a weekly
  # TRIM keeps SSDs fast.
  services.zfs.autoScrub.enable = true;
  services.zfs.trim.enable = true;
  # Snapshots of /home: 24 hourly, 30 daily and 6 monthly, pruned by age.
  # List them with `zfs list -t snapshot`; restore from ~/.zfs/snapshot/.
  services.sanoid = {
    enable = true;
    datasets."zroot/home" = {
      autosnap = true;
      autoprune = true;
      hourly = 24;
      daily = 30;
      monthly = 6;
    };
  };

  users.users.bob = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
    # A crypt hash, decrypted at activation by agenix; never stored in the repo.
    hashedPasswordFile = config.age.secrets.vault-bob-password.path;
    openssh.authorizedKeys.keys = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF9AY+GrFUm57eOxLOZrxFxOu0RcAvuaECgbMrxY9ytg bob@desk"
    ];
  };
  # Accounts and passwords come only from this configuration:
  # a password secret is applied at every activation, not just on first boot.
  users.mutableUsers = false;

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
  # Admins may copy store paths to this host (nixos-rebuild --target-host,
  # deploy tools); they can become root with sudo anyway.
  nix.settings.trusted-users = [
    "root"
    "bob"
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
    pkgs.htop
    pkgs.smartmontools
  ];

  # The release this host was first installed with. It pins data formats of
  # stateful services (databases, ...), not the package versions: never change
  # it after the install, even when you move nixpkgs to a newer release.
  system.stateVersion = "26.05";
}
