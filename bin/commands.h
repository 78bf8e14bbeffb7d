/* commands.h — the `vlmindex` subcommands; each returns an exit code. */
#ifndef VLM_COMMANDS_H
#define VLM_COMMANDS_H

int cmd_add(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_embed(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_caption(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_exclude(int argc, char **argv);
int cmd_dupes(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_merge(int argc, char **argv);

#endif
