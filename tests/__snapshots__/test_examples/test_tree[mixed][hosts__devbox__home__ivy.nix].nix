# home-manager configuration for ivy on devbox.
# This file is yours: updates never overwrite it once it exists.
{ pkgs, ... }:

{
  home.packages = [ ];

  # The release of the first home-manager activation for this user; like the
  # system's stateVersion it is never bumped.
  home.stateVersion = "26.05";
}
