# The VM test of forge: it boots this host's own configuration.nix in QEMU
# and checks what the answers promise. Run it (Linux with KVM) with
#   nix build .#checks.x86_64-linux.vm-forge
# `nix flake check` runs it too. Only what a VM cannot have is replaced below,
# each with the reason; everything else is the machine you install.
let
  # What the answers promise; the test script holds the VM to it.
  expected = {
    hostName = "forge";
    timeZone = "Europe/Berlin";
    # Each admin and the way in and up to root that README.md describes.
    admins = [
      {
        user = "alice";
        ssh = true;
        consolePassword = false;
        sudo = "nopasswd";
      }
    ];
    impermanence = false;
  };
  # The password every admin with one gets in the VM: a test value, not a secret.
  password = "nixbtw-vm-test";
in
{
  name = "vm-forge";

  nodes.machine = {
    imports = [ ./configuration.nix ];

    # The VM is its own hardware. hardware-configuration.nix describes the real
    # machine (and nixbtw's placeholder asserts until it is replaced), so the
    # VM leaves it out; QEMU's virtual disks replace every filesystem, swap
    # and LUKS device (qemu-vm.nix overrides them).
    disabledModules = [ ./hardware-configuration.nix ];
    virtualisation.memorySize = 2048;
  };

  # The checks are the same for every host: ../../lib/vm-test.py.
  testScript = ''
    import json

    expected = json.loads(${builtins.toJSON (builtins.toJSON expected)})
    password = ${builtins.toJSON password}

    ${builtins.readFile ../../lib/vm-test.py}
  '';
}
