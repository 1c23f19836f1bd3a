# The VM test of frame: it boots this host's own configuration.nix in QEMU
# and checks what the answers promise. Run it (Linux with KVM) with
#   nix build .#checks.x86_64-linux.vm-frame
# `nix flake check` runs it too. Only what a VM cannot have is replaced below,
# each with the reason; everything else is the machine you install.
let
  # What the answers promise; the test script holds the VM to it.
  expected = {
    hostName = "frame";
    timeZone = "Europe/Amsterdam";
    # Each admin and the way in and up to root that README.md describes.
    admins = [
      {
        user = "alice";
        ssh = false;
        consolePassword = false;
        sudo = "password";
      }
    ];
    impermanence = false;
  };
  # The password every admin with one gets in the VM: a test value, not a secret.
  password = "nixbtw-vm-test";
in
{
  name = "vm-frame";

  nodes.machine =
    { lib, pkgs, ... }:
    let
      passwordUsers = [ "alice" ];
      # The host decrypts its secrets with its SSH host key, which stays on the
      # machine. The test makes its own age key at build time and encrypts the
      # test password's hash to it, so no key is ever kept in this repository.
      testSecrets =
        pkgs.runCommand "vm-test-secrets"
          {
            nativeBuildInputs = [
              pkgs.age
              pkgs.mkpasswd
              pkgs.sops
            ];
          }
          ''
            mkdir $out
            age-keygen -o $out/key.txt
            recipient=$(age-keygen -y $out/key.txt)
            hash=$(mkpasswd --method=sha-512 ${password})
            {
              echo "users:"
              for user in ${lib.escapeShellArgs passwordUsers}; do
                printf '  %s:\n    hashed-password: "%s"\n' "$user" "$hash"
              done
            } > plain.yaml
            sops --encrypt --age "$recipient" plain.yaml > $out/secrets.yaml
          '';
    in
    {
      imports = [ ./configuration.nix ];

      # The VM is its own hardware. hardware-configuration.nix describes the real
      # machine (and nixbtw's placeholder asserts until it is replaced), so the
      # VM leaves it out; QEMU's virtual disks replace every filesystem, swap
      # and LUKS device disko declares (qemu-vm.nix overrides them).
      disabledModules = [ ./hardware-configuration.nix ];
      virtualisation.memorySize = 2048;

      # The test key reaches the VM over a shared folder, mounted before
      # activation decrypts anything.
      virtualisation.sharedDirectories.vm-test-secrets = {
        source = "${testSecrets}";
        target = "/vm-test-secrets";
      };
      sops.defaultSopsFile = lib.mkForce "${testSecrets}/secrets.yaml";
      # The test's file is built, not in the repository, so it cannot be read
      # while the configuration is evaluated.
      sops.validateSopsFiles = false;
      sops.age.sshKeyPaths = lib.mkForce [ ];
      sops.age.keyFile = "/vm-test-secrets/key.txt";
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
        # / is a fresh tmpfs in the VM, so this proves what /persist keeps, not
        # the rollback unit itself (README.md says how to boot disko's layout).
        with subtest("after a reboot / is empty and /persist kept what it lists"):
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
