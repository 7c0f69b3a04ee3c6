// `warden` lists its commands from src/cli/command-list.ts and loads a command's module only when that
// command runs or its help is asked for (issue 16). Every help text, usage error and exit status must stay
// what a program holding every command gives: main given every module already loaded is exactly that program.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, Help } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_MODULES, nameOf, type CommandModule, type Register } from '../../src/cli/command-list.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';

let everything: ReadonlyMap<CommandModule, Register>;

beforeAll(async () => {
  everything = new Map(await Promise.all(COMMAND_MODULES.map(async (m) => [m, await m.load()] as const)));
});

/** What `warden args…` prints and returns: lazily (as shipped), or with every command registered up front. */
async function run(args: readonly string[], loadedUpFront: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo({});
  const code = await main(['node', 'warden', ...args], io, loadedUpFront ? new Map(everything) : undefined);
  return { code, stdout: io.out(), stderr: io.err() };
}

/** The commands a module registers, as the top-level help shows them. */
function registeredBy(register: Register): { term: string; summary: string }[] {
  const program = new Command('warden');
  register(program, captureIo({}), () => {});
  const help = new Help();
  return program.commands.map((c) => ({ term: help.subcommandTerm(c), summary: help.subcommandDescription(c) }));
}

/** Every command below the top level, e.g. ['tenants', 'add'], depth first, in registration order. */
function commandPaths(): { path: string[]; hasSubcommands: boolean }[] {
  const program = new Command('warden');
  for (const register of everything.values()) register(program, captureIo({}), () => {});
  const paths: { path: string[]; hasSubcommands: boolean }[] = [];
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      paths.push({ path: [...path, sub.name()], hasSubcommands: sub.commands.length > 0 });
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(program, []);
  return paths;
}

describe('the command list', () => {
  it('lists, module by module and in order, the commands each module registers, with their terms and summaries', () => {
    for (const module of COMMAND_MODULES) {
      expect(module.commands.map((c) => ({ term: c.term, summary: c.summary }))).toEqual(registeredBy(everything.get(module)!));
    }
  });

  it('has every module of src/cli/commands/, each one once', async () => {
    const folder = join(import.meta.dirname, '../../src/cli/commands');
    const files = readdirSync(folder).filter((f) => f.endsWith('.command.ts'));
    const registers = await Promise.all(
      files.map(async (f) => {
        const exported = Object.entries((await import(pathToFileURL(join(folder, f)).href)) as Record<string, unknown>);
        return exported.filter(([name, value]) => name.startsWith('register') && typeof value === 'function').map(([, value]) => value);
      }),
    );
    expect(registers.map((r) => r.length)).toEqual(files.map(() => 1));
    expect(new Set(everything.values())).toEqual(new Set(registers.flat()));
    expect(new Set(everything.values()).size).toBe(COMMAND_MODULES.length);
  });

  it('names each command once', () => {
    const names = COMMAND_MODULES.flatMap((m) => m.commands.map(nameOf));
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('check');
  });
});

describe('warden, loading a command only when it is used', () => {
  it('prints the same top-level help, every command listed', async () => {
    const lazy = await run(['--help'], false);
    expect(lazy).toEqual(await run(['--help'], true));
    expect(lazy.code).toBe(0);
    for (const name of COMMAND_MODULES.flatMap((m) => m.commands.map(nameOf))) expect(lazy.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });

  it.each([
    [[]],
    [['help']],
    [['-h']],
    [['--version']],
    [['-V']],
    [['chek']],
    [['no-such-command', '--help']],
    [['help', 'no-such-command']],
    [['--no-such-flag']],
    [['--no-such-flag', 'check']],
    [['--help', 'check']],
    [['check', '--format', 'yaml', '--snapshot', 'x.json']],
    [['check', '--snapshot']],
    [['tenants', 'ad']],
    [['scan']],
    [['run']],
  ])('answers %j the same, help, error and exit status', async (args) => {
    const lazy = await run(args, false);
    expect(lazy).toEqual(await run(args, true));
    expect(lazy.stdout + lazy.stderr).not.toBe('');
  });

  it('prints the same help for every command and subcommand, asked for in every way', async () => {
    const paths = commandPaths();
    expect(paths.length).toBeGreaterThan(60);
    for (const { path } of paths) {
      const asked = [[...path, '--help'], [...path, '-h'], [...path.slice(0, -1), 'help', path.at(-1)!]];
      for (const args of asked) {
        const lazy = await run(args, false);
        expect(lazy, args.join(' ')).toEqual(await run(args, true));
        expect(lazy.code, args.join(' ')).toBe(0);
        expect(lazy.stdout, args.join(' ')).toMatch(/^Usage: warden /);
      }
    }
  });

  it('refuses an unknown option of every command, and a missing subcommand, the same way', async () => {
    for (const { path, hasSubcommands } of commandPaths()) {
      // Never runs a command: commander refuses the option (or a missing required one) before any action.
      for (const args of hasSubcommands ? [[...path, '--no-such-flag'], path] : [[...path, '--no-such-flag']]) {
        const lazy = await run(args, false);
        expect(lazy, args.join(' ')).toEqual(await run(args, true));
        expect(lazy.code, args.join(' ')).toBe(2);
      }
    }
  });
});
