// Prints where the CPU time of one or more .cpuprofile files went:
//   node --import tsx src/profile-summary.ts results/profiles/<run>/*.cpuprofile [top]   (in apps/bench)
import { summarizeProfile } from './profile.js';

const args = process.argv.slice(2);
const top = /^\d+$/.test(args.at(-1) ?? '') ? Number(args.pop()) : 25;
if (!args.length) {
  console.error('usage: profile-summary.ts <file.cpuprofile>... [top]');
  process.exit(2);
}
for (const file of args) console.log(summarizeProfile(file, top));
