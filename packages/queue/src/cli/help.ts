import { helpOption, type CliOption, type Command } from './command.js';

/** The help of `epilogue --help`: the commands, and the options they share. */
export function cliHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: epilogue <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run `epilogue <command> --help` for its options. Every command takes --app <path>, the module',
    'that exports your configured Application, and --json for one JSON object per line.',
    '',
    'Without --app, the app module is the EPILOGUE_APP environment variable, else the',
    '"epilogue": { "app": "./dist/app.js" } field of the nearest package.json (relative to it).',
    '',
    'Exit codes: 0 done; 1 an error or a bad command line; 2 queue:monitor found a queue at or',
    'above its threshold; 12 when queue:work stopped for --memory; 130 or 143 when a second',
    'SIGINT or SIGTERM cut queue:work short.',
    '',
  ].join('\n');
}

/** The help of `epilogue <command> --help`. */
export function commandHelp(command: Command): string {
  const options = [...command.options, helpOption];
  const labels = options.map(optionLabel);
  const width = Math.max(...labels.map((label) => label.length));
  return [
    `Usage: ${command.usage}`,
    '',
    command.description,
    '',
    'Options:',
    ...options.map((option, i) => `  ${labels[i].padEnd(width)}  ${option.description}`),
    '',
  ].join('\n');
}

function optionLabel(option: CliOption): string {
  const value = option.value === undefined ? '' : option.optionalValue ? option.value : ` ${option.value}`;
  const long = `--${option.name}${value}`;
  return option.short === undefined ? `    ${long}` : `-${option.short}, ${long}`;
}
