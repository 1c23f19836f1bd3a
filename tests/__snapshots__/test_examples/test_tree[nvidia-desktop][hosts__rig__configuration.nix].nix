# rig: NixOS 26.05 "Yarara", scaffolded by nixbtw.
# Edit freely: `nixbtw update` merges template improvements into your edits.
# WARNING: carol has no password secret and no SSH key with sshd on: set a password from the installer before the first boot (sudo nixos-enter --root /mnt -c 'passwd carol', see README.md), or nobody can log in.
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
    inputs.disko.nixosModules.disko
  ];

  networking.hostName = "rig";
  # The platform is stated here, not left to a generated hardware file:
  # without it nothing evaluates.
  nixpkgs.hostPlatform = "x86_64-linux";
  time.timeZone = "America/Chicago";
  i18n.defaultLocale = "en_US.UTF-8";

  boot.loader.systemd-boot.enable = true;
  # A bounded boot menu keeps the ESP from filling up; older generations stay
  # in the store until garbage collection removes them.
  boot.loader.systemd-boot.configurationLimit = 20;
  # Registers the loader in the firmware's boot menu.
  boot.loader.efi.canTouchEfiVariables = true;

  # Microcode and firmware blobs fix CPU errata and make Wi-Fi/GPU work.
  hardware.enableRedistributableFirmware = true;
  hardware.cpu.intel.updateMicrocode = true;

  hardware.graphics.enable = true;
  hardware.graphics.enable32Bit = true;
  services.xserver.videoDrivers = [ "nvidia" ];
  hardware.nvidia = {
    # Required since driver 560: true is the open kernel module (Turing / GTX 16xx
    # and newer), false the proprietary one for older cards.
    open = true;
    # Needed by Wayland compositors and for a flicker-free console.
    modesetting.enable = true;
  };

  networking.networkmanager.enable = true;

  # A desktop: nixbtw's defaults for this kind are written out below, each
  # one an answer you can change in the answers file.

  # KDE Plasma 6 with SDDM, whose greeter runs on Wayland (KWin).
  services.displayManager.sddm.enable = true;
  services.displayManager.sddm.wayland.enable = true;
  services.desktopManager.plasma6.enable = true;
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

  # Steam: its unfree names are admitted by name below (nixpkgs.config).
  programs.steam.enable = true;
  # The 32-bit graphics drivers most games need are on above (hardware.graphics).

  # Firmware updates from LVFS: fwupdmgr refresh && fwupdmgr update.
  services.fwupd.enable = true;

  # A weekly TRIM keeps SSDs fast; disks without TRIM are skipped (on by
  # default in NixOS, written out so the answer shows).
  services.fstrim.enable = true;

  users.users.carol = {
    isNormalUser = true;
    extraGroups = [
      "wheel"
      "networkmanager"
    ];
    shell = pkgs.fish;
  };
  # No password is stored in this repo. Set one from the installer before the
  # first boot (README.md shows how), since root has none and passwd on the
  # running machine asks for the old one:
  #   sudo nixos-enter --root /mnt -c 'passwd carol'
  programs.fish.enable = true;

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];
  # Admins may copy store paths to this host (nixos-rebuild --target-host,
  # deploy tools); they can become root with sudo anyway.
  nix.settings.trusted-users = [
    "root"
    "carol"
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
      "discord" # asked for in the answers
      "steam" # programs.steam (gaming: true)
      "steam-unwrapped" # needed by steam (gaming: true)
      "nvidia-x11" # the NVIDIA driver (hardware.gpu has nvidia)
      "nvidia-settings" # the NVIDIA driver (hardware.gpu has nvidia)
    ];
  };

  environment.systemPackages = [
    pkgs.git
    pkgs.discord
  ];

  # The release this host was first installed with. It pins data formats of
  # stateful services (databases, ...), not the package versions: never change
  # it after the install, even when you move nixpkgs to a newer release.
  system.stateVersion = "26.05";
}
