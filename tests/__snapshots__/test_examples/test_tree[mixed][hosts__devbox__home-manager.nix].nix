# What every standalone home on devbox shares; each user's own settings are
# in home/<user>.nix. Switch with `home-manager switch --flake .#<user>@devbox`.
{ lib, pkgs, ... }:

{
  # Lets home-manager keep its own command up to date.
  programs.home-manager.enable = true;
  # Not NixOS: set up XDG paths, fonts and the Nix profile for another distribution.
  targets.genericLinux.enable = true;

  # packages.system: on another distribution they are installed per user.
  home.packages = [
    pkgs.git
    pkgs.jq
  ];
}
