# macbook: nix-darwin nix-darwin-26.05 with nixpkgs nixpkgs-26.05-darwin, scaffolded by nixbtw.
# nix-darwin refuses to evaluate against another nixpkgs release: move both together.
{
  config,
  lib,
  pkgs,
  inputs,
  ...
}:

{
  imports = [
    ./secrets.nix
    inputs.sops-nix.darwinModules.sops
    inputs.home-manager.darwinModules.home-manager
  ];

  networking.hostName = "macbook";
  time.timeZone = "America/Los_Angeles";
  nixpkgs.hostPlatform = "aarch64-darwin";

  # darwin-rebuild runs as root; per-user settings (Homebrew, defaults) apply to this user.
  system.primaryUser = "frank";
  users.users.frank.home = "/Users/frank";

  # fish with the Nix environment (PATH, completions) for every user.
  programs.fish.enable = true;
  # Lists fish in /etc/shells, so `chsh` accepts it as a login shell.
  environment.shells = [ pkgs.fish ];
  # The login shell is not set here: nix-darwin changes it only for accounts it
  # owns (users.knownUsers with a uid), which its manual says must not include
  # the admin, and dropping one from that list later deletes the account.
  # For frank, once: sudo chsh -s /run/current-system/sw/bin/fish frank

  security.pam.services.sudo_local.touchIdAuth = true;

  # Homebrew itself is installed by hand (https://brew.sh); nix-darwin keeps the
  # package list declarative.
  homebrew = {
    enable = true;
    casks = [
      "firefox"
      "iterm2"
    ];
    brews = [
      "mas"
    ];
    # Mac App Store apps, by id, installed with mas (sign in to the App Store
    # first). Homebrew's cleanup never removes an app dropped from this list.
    masApps = {
      "1Password for Safari" = 1569813296;
      Xcode = 497799835;
    };
    # Activation stops if a package not listed here is installed.
    onActivation.cleanup = "check";
  };

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];
  # Admins may copy store paths to this Mac (remote builds, deploy tools); they
  # can become root with sudo anyway.
  nix.settings.trusted-users = [
    "root"
    "frank"
  ];
  # Collect garbage weekly (Sunday 03:15) but keep 30d of generations.
  nix.gc = {
    automatic = true;
    interval = {
      Weekday = 7;
      Hour = 3;
      Minute = 15;
    };
    options = "--delete-older-than 30d";
  };
  # Not auto-optimise-store: on macOS it can corrupt the store with some Nix versions.
  nix.optimise.automatic = true;

  # The unfree and insecure gates, by name: a package not listed here fails to
  # evaluate instead of slipping in.
  nixpkgs.config = {
    allowUnfreePackages = [
      "vscode" # asked for in the answers
    ];
  };

  environment.systemPackages = [
    pkgs.git
    pkgs.ripgrep
    pkgs.vscode
  ];

  home-manager = {
    # One nixpkgs for the system and every user: the unfree gate above covers
    # home packages too.
    useGlobalPkgs = true;
    useUserPackages = true;
    # Existing dotfiles are moved aside instead of failing the activation.
    backupFileExtension = "hm-backup";
    extraSpecialArgs = { inherit inputs; };
    users.frank = import ./home/frank.nix;
  };

  # nix-darwin's state version for the first install (its own integer, not the
  # NixOS release): never change it afterwards.
  system.stateVersion = 7;
}
