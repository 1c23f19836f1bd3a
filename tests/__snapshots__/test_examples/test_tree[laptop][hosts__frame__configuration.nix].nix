# frame: NixOS 26.05 "Yarara", scaffolded by nixbtw.
# Edit freely: `nixbtw update` merges template improvements into your edits.
# WARNING: services.openssh is off, so the SSH keys of alice let nobody in until you turn it on.
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
    inputs.nixos-hardware.nixosModules.framework-13-7040-amd
    inputs.disko.nixosModules.disko
    inputs.sops-nix.nixosModules.sops
    inputs.home-manager.nixosModules.home-manager
  ];

  networking.hostName = "frame";
  # The platform is stated here, not left to a generated hardware file:
  # without it nothing evaluates.
  nixpkgs.hostPlatform = "x86_64-linux";
  time.timeZone = "Europe/Amsterdam";
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

  # A laptop: nixbtw's defaults for this kind are written out below, each
  # one an answer you can change in the answers file.

  # GNOME on Wayland with GDM (both moved out of services.xserver in 25.11).
  services.displayManager.gdm.enable = true;
  services.desktopManager.gnome.enable = true;
  # Fonts with wide script coverage, and colour emoji.
  fonts.packages = [
    pkgs.noto-fonts
    pkgs.noto-fonts-cjk-sans
    pkgs.noto-fonts-color-emoji
  ];

  # PipeWire plays and records for ALSA, PulseAudio and JACK clients alike;
  # rtkit gives its threads the real-time priority that stops crackling.
  services.pipewire = {
    enable = true;
    alsa.enable = true;
    alsa.support32Bit = true;
    pulse.enable = true;
  };
  security.rtkit.enable = true;

  hardware.bluetooth.enable = true;

  # Power profiles (the desktop's battery menu) and battery state.
  services.power-profiles-daemon.enable = true;
  services.upower.enable = true;

  # Firmware updates from LVFS: fwupdmgr refresh && fwupdmgr update.
  services.fwupd.enable = true;

  # A monthly btrfs scrub reads every block and repairs what a checksum says
  # is damaged; one mount point covers the whole filesystem.
  services.btrfs.autoScrub = {
    enable = true;
    fileSystems = [ "/" ];
  };

  # A weekly TRIM keeps SSDs fast; disks without TRIM are skipped (on by
  # default in NixOS, written out so the answer shows).
  services.fstrim.enable = true;

  users.users.alice = {
    isNormalUser = true;
    description = "Alice Liddell";
    extraGroups = [
      "wheel"
      "networkmanager"
    ];
    shell = pkgs.zsh;
    # A crypt hash, decrypted at activation by sops-nix; never stored in the repo.
    hashedPasswordFile = config.sops.secrets."users/alice/hashed-password".path;
    openssh.authorizedKeys.keys = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW alice@laptop"
    ];
  };
  # Accounts and passwords come only from this configuration:
  # a password secret is applied at every activation, not just on first boot.
  users.mutableUsers = false;
  programs.zsh.enable = true;

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

  # The unfree and insecure gates, by name: a package not listed here fails to
  # evaluate instead of slipping in.
  nixpkgs.config = {
    allowUnfreePackages = [
      "spotify" # asked for in the answers
    ];
  };

  environment.systemPackages = [
    pkgs.git
    pkgs.firefox
    pkgs.spotify
  ];

  home-manager = {
    # One nixpkgs for the system and every user: the unfree gate above covers
    # home packages too.
    useGlobalPkgs = true;
    useUserPackages = true;
    # Existing dotfiles are moved aside instead of failing the activation.
    backupFileExtension = "hm-backup";
    extraSpecialArgs = { inherit inputs; };
    users.alice = import ./home/alice.nix;
  };

  # The release this host was first installed with. It pins data formats of
  # stateful services (databases, ...), not the package versions: never change
  # it after the install, even when you move nixpkgs to a newer release.
  system.stateVersion = "26.05";
}
