// Small schemas shared by the sections of the server config.
import { z } from "zod";

export const port = z.int().min(0).max(65535);

export const envNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name");
