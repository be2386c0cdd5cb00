// Moved to common/ (the online CA limits enrollments with it too).
export { RateLimiter, type Limit, type Take } from "../../common/rate-limit.js";
