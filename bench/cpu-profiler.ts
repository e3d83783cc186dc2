/**
 * The child's side of `npm run profile`: V8's sampling CPU profiler in this process,
 * started and stopped on the harness's request, so that a profile holds the load being
 * studied and not the node's start-up and warm-up (which `node --cpu-prof` would include).
 * The profile is written as a `.cpuprofile` file, which Chrome DevTools and speedscope draw
 * as a flame chart.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** A request from the harness: start profiling, or stop and write the profile to `path`. */
export type ProfileRequest =
  | { readonly id: number; readonly cmd: 'profile-start'; readonly intervalUs: number }
  | { readonly id: number; readonly cmd: 'profile-stop'; readonly path: string };

/** The reply: `samples` is the number of samples written (0 on start). */
export interface ProfileReply {
  readonly id: number;
  readonly samples: number;
  readonly error?: string;
}

let session: Session | null = null;

/** Handles one profile request; never throws (the error travels back in the reply). */
export async function handleProfileRequest(request: ProfileRequest): Promise<ProfileReply> {
  try {
    if (request.cmd === 'profile-start') {
      if (session) throw new Error('already profiling');
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: request.intervalUs });
      await session.post('Profiler.start');
      return { id: request.id, samples: 0 };
    }
    if (!session) throw new Error('not profiling');
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    session = null;
    await writeFile(request.path, JSON.stringify(profile));
    return { id: request.id, samples: profile.samples?.length ?? 0 };
  } catch (err) {
    return { id: request.id, samples: 0, error: err instanceof Error ? err.message : String(err) };
  }
}
