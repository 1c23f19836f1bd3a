# The VM test of pi: it boots this host's own configuration.nix in QEMU
# and checks what the answers promise. Run it (Linux with KVM) with
#   nix build .#checks.aarch64-linux.vm-pi
# `nix flake check` runs it too. Only what a VM cannot have is replaced below,
# each with the reason; everything else is the machine you install.
let
  # What the answers promise; the test script holds the VM to it.
  expected = {
    hostName = "pi";
    timeZone = "UTC";
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
  name = "vm-pi";

  nodes.machine = {
    imports = [ ./configuration.nix ];

    # The VM is its own hardware. hardware-configuration.nix describes the real
    # machine (and nixbtw's placeholder asserts until it is replaced), so the
    # VM leaves it out; QEMU's virtual disks replace every filesystem, swap
    # and LUKS device (qemu-vm.nix overrides them).
    disabledModules = [ ./hardware-configuration.nix ];
    virtualisation.memorySize = 2048;
  };

  testScript = ''
    import json
    import shlex

    expected = json.loads(${builtins.toJSON (builtins.toJSON expected)})
    password = ${builtins.toJSON password}

    machine.wait_for_unit("multi-user.target")

    with subtest("the answered host name and time zone"):
        assert machine.succeed("hostname").strip() == expected["hostName"]
        zone = machine.succeed("readlink /etc/localtime").strip()
        assert zone == "/etc/zoneinfo/" + expected["timeZone"], zone

    for admin in expected["admins"]:
        user = admin["user"]
        with subtest(f"{user} gets in and up to root"):
            if admin["consolePassword"]:
                # What README.md has you do from the installer before the first boot.
                machine.succeed(f"echo {user}:{password} | chpasswd")
            if admin["ssh"]:
                # The test's own key: the admin's private key never leaves their machine.
                machine.wait_for_open_port(22)
                machine.succeed('test -e /root/vm-test-key || ssh-keygen -q -t ed25519 -N "" -f /root/vm-test-key')
                machine.succeed(f"install -d -m 700 -o {user} /home/{user}/.ssh")
                machine.succeed(f"install -m 600 -o {user} /root/vm-test-key.pub /home/{user}/.ssh/authorized_keys")
                login = f"ssh -o BatchMode=yes -o StrictHostKeyChecking=no -i /root/vm-test-key {user}@localhost "
            else:
                login = f"su - {user} -c "
            assert machine.succeed(login + shlex.quote("id -un")).strip() == user
            if admin["sudo"] == "nopasswd":
                machine.succeed(login + shlex.quote("sudo -n true"))
            else:
                machine.succeed(login + shlex.quote(f"echo {password} | sudo -S -k true"))

    if expected["impermanence"]:
        with subtest("a reboot empties / and keeps /persist"):
            machine_id = machine.succeed("cat /etc/machine-id")
            machine.succeed("touch /nixbtw-wiped /persist/nixbtw-kept")
            machine.shutdown()
            machine.start()
            machine.wait_for_unit("multi-user.target")
            machine.fail("test -e /nixbtw-wiped")
            machine.succeed("test -e /persist/nixbtw-kept")
            # /etc/machine-id is on the persistence list.
            assert machine.succeed("cat /etc/machine-id") == machine_id
  '';
}
