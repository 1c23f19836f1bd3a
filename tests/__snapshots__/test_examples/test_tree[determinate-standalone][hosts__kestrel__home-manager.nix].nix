# What every standalone home on kestrel shares; each user's own settings are
# in home/<user>.nix. Switch with `home-manager switch --flake .#<user>@kestrel`.
{ lib, ... }:

{
  # Lets home-manager keep its own command up to date.
  programs.home-manager.enable = true;
  # Standalone home-manager builds its own nixpkgs, so it gets the same gate as
  # the system: one list for the whole repo.

  # The unfree and insecure gates, by name: a package not listed here fails to
  # evaluate instead of slipping in.
  nixpkgs.config = {
    allowUnfreePackages = [
      "obsidian" # asked for in the answers
    ];
    permittedInsecurePackages = [
      "electron-27.3.11"
    ];
  };
}
