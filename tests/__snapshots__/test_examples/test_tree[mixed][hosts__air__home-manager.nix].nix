# What every standalone home on air shares; each user's own settings are
# in home/<user>.nix. Switch with `home-manager switch --flake .#<user>@air`.
{ lib, ... }:

{
  # Lets home-manager keep its own command up to date.
  programs.home-manager.enable = true;
}
