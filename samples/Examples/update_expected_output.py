# Rewrites the "// Expected output" comment of the named examples (all when none is named) with what they print now.
# Run only after a deliberate change, and read the diff: the test exists to catch the undeliberate ones.
#
#   dotnet build samples/Examples -c Release && python3 samples/Examples/update_expected_output.py [Name ...]
import re, subprocess, sys, pathlib
root = pathlib.Path(__file__).resolve().parent
names = sys.argv[1:] or ['all']
out = subprocess.run(['dotnet', str(root/'bin/Release/net10.0/Examples.dll')] + names, capture_output=True, text=True, check=True).stdout
blocks = re.split(r'^== (\w+)\n', out, flags=re.M)[1:]
for name, text in zip(blocks[::2], blocks[1::2]):
    p = root / f'{name}.cs'
    s = p.read_text()
    i = s.index('// Expected output')
    header = s[i:].split('\n', 1)[0]
    lines = [('//   ' + l) if l.strip() else '//' for l in text.rstrip('\n').split('\n')]
    p.write_text(s[:i] + header + '\n' + '\n'.join(lines) + '\n')
    print(name, len(lines))
