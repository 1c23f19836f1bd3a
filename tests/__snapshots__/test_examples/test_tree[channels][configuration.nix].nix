# oldtimer: NixOS 26.05 "Yarara", scaffolded by nixbtw.
# Edit freely: `nixbtw update` merges template improvements into your edits.
# WARNING: erin has no password secret and no SSH key with sshd on: set a password right after the first switch, from the account you switched with (sudo passwd erin, see README.md), or nobody can log in.
# Classic /etc/nixos without a flake: nixpkgs and home-manager come from
# channels (see README.md); they must move to a new release together.
{
  config,
  lib,
  pkgs,
  ...
}:

{
  imports = [
    ./hardware-configuration.nix
    # home-manager's NixOS module from the home-manager channel.
    <home-manager/nixos>
  ];

  networking.hostName = "oldtimer";
  # The platform is stated here, not left to a generated hardware file:
  # without it nothing evaluates.
  nixpkgs.hostPlatform = "x86_64-linux";
  time.timeZone = "Europe/London";
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

  networking.networkmanager.enable = true;

  # No swap partition was asked for: compressed swap in RAM lets memory
  # spikes pass instead of waking the OOM killer.
  zramSwap.enable = true;

  users.users.erin = {
    isNormalUser = true;
    extraGroups = [
      "wheel"
      "networkmanager"
    ];
    shell = pkgs.zsh;
  };
  # No password is stored here. Set one right after the first switch, from the
  # account you switched with (passwd asks a locked account for its old one):
  #   sudo passwd erin
  programs.zsh.enable = true;

  # Admins may copy store paths to this host (nixos-rebuild --target-host,
  # deploy tools); they can become root with sudo anyway.
  nix.settings.trusted-users = [
    "root"
    "erin"
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
    pkgs.vim
  ];

  home-manager = {
    # One nixpkgs for the system and every user.
    useGlobalPkgs = true;
    useUserPackages = true;
    # Existing dotfiles are moved aside instead of failing the activation.
    backupFileExtension = "hm-backup";
    users.erin = import ./home/erin.nix;
  };

  # The release this host was first installed with. It pins data formats of
  # stateful services (databases, ...), not the package versions: never change
  # it after the install, even when you move nixpkgs to a newer release.
  system.stateVersion = "26.05";
}
