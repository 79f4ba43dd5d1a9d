/**
 * Preloaded into a benchmarked child process (`node --import …/report-rss.js`): on exit it writes
 * the process's peak RSS in MB to the file named by ATTAIN_BENCH_RSS_FILE.
 */
import { writeFileSync } from 'node:fs';

const target = process.env['ATTAIN_BENCH_RSS_FILE'];
if (target) {
  process.on('exit', () => {
    // resourceUsage().maxRSS is in kilobytes.
    writeFileSync(target, String(Math.round(process.resourceUsage().maxRSS / 1024)));
  });
}
