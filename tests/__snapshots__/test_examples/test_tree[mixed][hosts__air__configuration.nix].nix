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
  imports = [ ];

  networking.hostName = "air";
  # time.timeZone is left to macOS: nix-darwin's activation stops on a name
  # macOS does not list (UTC is not one), so set it only to a listed name.
  nixpkgs.hostPlatform = "aarch64-darwin";

  # darwin-rebuild runs as root; per-user settings (Homebrew, defaults) apply to this user.
  system.primaryUser = "ivy";
  users.users.ivy.home = "/Users/ivy";
  # Remote Login (Apple's sshd): nix-darwin turns it on at activation.
  services.openssh.enable = true;
  # Served to Apple's sshd from /etc/ssh/nix_authorized_keys.d, beside ~/.ssh/authorized_keys.
  users.users.ivy.openssh.authorizedKeys.keys = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIzYiKMlcDn3I9Lj90+UfVY9N92WB5kD5TqMy7THXbsW ivy@air"
  ];

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];
  # Admins may copy store paths to this Mac (remote builds, deploy tools); they
  # can become root with sudo anyway.
  nix.settings.trusted-users = [
    "root"
    "ivy"
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
