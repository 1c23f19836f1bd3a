# air: nix-darwin nix-darwin-26.05 with nixpkgs nixpkgs-26.05-darwin, scaffolded by nixbtw.
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
  ];

  networking.hostName = "air";
  # time.timeZone is left to macOS: nix-darwin's activation stops on a name
  # macOS does not list (UTC is not one), so set it only to a listed name.
  nixpkgs.hostPlatform = "aarch64-darwin";

  # darwin-rebuild runs as root; per-user settings (Homebrew, defaults) apply to this user.
  system.primaryUser = "ivy";
  users.users.ivy.home = "/Users/ivy";

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
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

  environment.systemPackages = [
    pkgs.git
    pkgs.ripgrep
  ];

  # nix-darwin's state version for the first install (its own integer, not the
  # NixOS release): never change it afterwards.
  system.stateVersion = 7;
}
