# nimbus: NixOS 26.05 "Yarara", scaffolded by nixbtw.
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

  networking.hostName = "nimbus";
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

  # A laptop: nixbtw's defaults for this kind are written out below, each
  # one an answer you can change in the answers file.

  # SDDM lists the session the hyprland module registers and starts it the
  # way the package says; its greeter runs on Wayland (Weston).
  services.displayManager.sddm.enable = true;
  services.displayManager.sddm.wayland.enable = true;
  # The module also sets up xdg-desktop-portal-hyprland (screen sharing) and
  # -gtk (file pickers), polkit and XWayland.
  programs.hyprland.enable = true;
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
  # hyprland has no Bluetooth settings of its own: blueman's applet pairs devices.
  services.blueman.enable = true;

  services.printing.enable = true;
  # Avahi finds network printers (mDNS/DNS-SD); nssmdns4 resolves their
  # .local names.
  services.avahi = {
    enable = true;
    nssmdns4 = true;
    openFirewall = true;
  };

  # Power profiles (the desktop's battery menu) and battery state.
  services.power-profiles-daemon.enable = true;
  services.upower.enable = true;

  # Firmware updates from LVFS: fwupdmgr refresh && fwupdmgr update.
  services.fwupd.enable = true;

  # A weekly TRIM keeps SSDs fast; disks without TRIM are skipped (on by
  # default in NixOS, written out so the answer shows).
  services.fstrim.enable = true;

  # No swap partition was asked for: compressed swap in RAM lets memory
  # spikes pass instead of waking the OOM killer.
  zramSwap.enable = true;

  users.users.alice = {
    isNormalUser = true;
    description = "Alice Liddell";
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
    # Hyprland's generated config opens kitty (Super+Q) and wofi (Super+R).
    pkgs.kitty
    pkgs.wofi
  ];

  # The release this host was first installed with. It pins data formats of
  # stateful services (databases, ...), not the package versions: never change
  # it after the install, even when you move nixpkgs to a newer release.
  system.stateVersion = "26.05";
}
