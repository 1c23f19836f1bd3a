# studio: nix-darwin nix-darwin-26.05 with nixpkgs nixpkgs-26.05-darwin, scaffolded by nixbtw.
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
    inputs.determinate.darwinModules.default
    inputs.agenix.darwinModules.default
  ];

  networking.hostName = "studio";
  time.timeZone = "Europe/Berlin";
  nixpkgs.hostPlatform = "aarch64-darwin";

  # darwin-rebuild runs as root; per-user settings (Homebrew, defaults) apply to this user.
  system.primaryUser = "gina";
  users.users.gina.home = "/Users/gina";

  # Determinate Nix is installed by its macOS package and manages itself; its
  # module turns nix-darwin's Nix management off (nix.enable = false), so no
  # nix.* settings belong here.
  determinateNix.enable = true;
  # Stated here too: nix-darwin must not manage the Nix that Determinate installed.
  nix.enable = false;
  # Admins may copy store paths to this Mac (remote builds, deploy tools); they
  # can become root with sudo anyway. Written to /etc/nix/nix.custom.conf, which
  # Determinate's own nix.conf includes.
  determinateNix.customSettings.trusted-users = [
    "root"
    "gina"
  ];

  # The unfree and insecure gates, by name: a package not listed here fails to
  # evaluate instead of slipping in.
  nixpkgs.config = {
    allowUnfreePackages = [
      "slack" # asked for in the answers
    ];
  };

  environment.systemPackages = [
    pkgs.git
    pkgs.slack
  ];

  # nix-darwin's state version for the first install (its own integer, not the
  # NixOS release): never change it afterwards.
  system.stateVersion = 7;
}
