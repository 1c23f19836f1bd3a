# home-manager configuration for alice on frame.
# This file is yours: nixbtw creates it once and never rewrites it.
{ pkgs, ... }:

{
  home.packages = [ ];

  # The release of the first home-manager activation for this user; like the
  # system's stateVersion it is never bumped.
  home.stateVersion = "26.05";
}
