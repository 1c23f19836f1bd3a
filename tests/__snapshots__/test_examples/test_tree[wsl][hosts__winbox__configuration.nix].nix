# winbox: NixOS 26.05 "Yarara", scaffolded by nixbtw.
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
    inputs.nixos-wsl.nixosModules.default
    inputs.home-manager.nixosModules.home-manager
  ];

  networking.hostName = "winbox";
  # The platform is stated here, not left to a generated hardware file (NixOS-WSL has none):
  # without it nothing evaluates.
  nixpkgs.hostPlatform = "x86_64-linux";
  time.timeZone = "Europe/Warsaw";
  i18n.defaultLocale = "en_US.UTF-8";

  # NixOS-WSL boots from Windows: no boot loader, no disks, no hardware file.
  wsl.enable = true;
  # The user `wsl.exe` logs in as; NixOS-WSL lets wheel use sudo without a password.
  wsl.defaultUser = "ivan";

  users.users.ivan = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
    shell = pkgs.fish;
  };
  programs.fish.enable = true;

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
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
    pkgs.wget
  ];

  home-manager = {
    # One nixpkgs for the system and every user.
    useGlobalPkgs = true;
    useUserPackages = true;
    # Existing dotfiles are moved aside instead of failing the activation.
    backupFileExtension = "hm-backup";
    extraSpecialArgs = { inherit inputs; };
    users.ivan = import ./home/ivan.nix;
  };

  # The release this host was first installed with. It pins data formats of
  # stateful services (databases, ...), not the package versions: never change
  # it after the install, even when you move nixpkgs to a newer release.
  system.stateVersion = "26.05";
}
