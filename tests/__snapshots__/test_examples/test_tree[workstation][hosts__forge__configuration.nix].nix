# forge: NixOS 26.05 "Yarara", scaffolded by nixbtw.
# Edit freely: `nixbtw update` merges template improvements into your edits.
# WARNING: alice logs in with SSH keys only and has no password, so sudo does not ask for one.
# WARNING: bob has no password and no SSH key with sshd on: an admin sets one with `sudo passwd bob` after the first boot.
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
    inputs.home-manager.nixosModules.home-manager
  ];

  networking.hostName = "forge";
  # The platform is stated here, not left to a generated hardware file:
  # without it nothing evaluates.
  nixpkgs.hostPlatform = "x86_64-linux";
  time.timeZone = "Europe/Berlin";
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

  networking.networkmanager.enable = true;

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
    shell = pkgs.zsh;
    openssh.authorizedKeys.keys = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW alice@laptop"
    ];
  };
  users.users.bob = {
    isNormalUser = true;
    shell = pkgs.fish;
  };

  # alice logs in with SSH keys only and has no password, and root has none
  # either: without this, sudo would ask for a password that does not exist and
  # nobody could ever rebuild this machine.
  security.sudo.wheelNeedsPassword = false;
  programs.fish.enable = true;
  programs.zsh.enable = true;

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
      "slack" # asked for in the answers
    ];
    permittedInsecurePackages = [
      "olm-3.2.16"
    ];
  };

  environment.systemPackages = [
    pkgs.git
    pkgs.vim
    pkgs.firefox
    pkgs.python3Packages.black
    pkgs.spotify
    pkgs.slack
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
    users.bob = import ./home/bob.nix;
  };

  # The release this host was first installed with. It pins data formats of
  # stateful services (databases, ...), not the package versions: never change
  # it after the install, even when you move nixpkgs to a newer release.
  system.stateVersion = "26.05";
}
