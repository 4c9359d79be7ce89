import type { Command } from './command-line.js';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];
export const isShell = (name: string): name is Shell => (SHELLS as readonly string[]).includes(name);

/** What every command takes besides its own options. */
const COMMON_OPTIONS = ['--url', '--token', '--help'];

const words = (list: readonly string[]): string => list.join(' ');

/** The bash case arm completing one command's options, and the values of those that have choices. */
function commandArm(command: Command): string {
  const options = [...Object.keys(command.options).map((name) => `--${name}`), ...COMMON_OPTIONS];
  const choices = Object.entries(command.choices ?? {}).map(
    ([option, values]) =>
      `      if [ "$prev" = --${option} ]; then COMPREPLY=($(compgen -W "${words(values ?? [])}" -- "$cur")); return; fi`,
  );
  return [`    ${command.name})`, ...choices, `      options="${words(options)}" ;;`].join('\n');
}

/**
 * A completion script for bash (or zsh through its bash compatibility), made from the commands
 * themselves: command names, each command's options, the values of options that take a fixed set,
 * file names elsewhere. Loaded with `source <(batchctl completion bash)`.
 */
export function completionScript(shell: Shell, commands: Command[]): string {
  const bash = `_batchctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" options
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${words(commands.map((command) => command.name))} help" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${commands.map(commandArm).join('\n')}
    *) return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _batchctl batchctl
`;
  const header = `# batchctl completion for ${shell}: add \`source <(batchctl completion ${shell})\` to ~/.${shell}rc\n`;
  return shell === 'zsh'
    ? `${header}autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n${bash}`
    : `${header}${bash}`;
}
