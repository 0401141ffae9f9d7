// `vigil cvss`: scores CVSS v3.x and v4.0 vectors. Needs no configuration or database.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "advisory/cvss.h"
#include "advisory/cvss3.h"
#include "advisory/cvss4.h"
#include "cli/cli_context.h"
#include "cli/command_table.h"

namespace vigil {
namespace {

using advisory::FormatScore;
using advisory::SeverityForScore;
using advisory::SeverityName;

// Longest stdin line accepted; a vector is at most 256 characters.
constexpr size_t kMaxLineBytes = 4096;
// Most lines read from stdin.
constexpr size_t kMaxLines = 1'000'000;

std::string Rated(double score) {
  return FormatScore(score) + " (" + std::string(SeverityName(SeverityForScore(score))) + ")";
}

// "VECTOR  base 9.8 (Critical)  temporal ...": the human-readable line of `vigil cvss VECTOR`.
Result<std::string> Describe(const std::string& vector) {
  if (vector.starts_with("CVSS:3.")) {
    Result<advisory::Cvss3Vector> v = advisory::Cvss3Vector::Parse(vector);
    if (!v.ok()) return v.status();
    const advisory::Cvss3Scores s = v->Scores();
    return vector + "  base " + Rated(s.base) + "  temporal " + Rated(s.temporal) +
           "  environmental " + Rated(s.environmental);
  }
  if (vector.starts_with("CVSS:4.")) {
    Result<advisory::Cvss4Vector> v = advisory::Cvss4Vector::Parse(vector);
    if (!v.ok()) return v.status();
    return vector + "  " + std::string(v->Nomenclature()) + " " + Rated(v->Score());
  }
  return advisory::FormatScoreLine(vector);  // the "unsupported CVSS vector" error
}

}  // namespace

void AddCvssCommands(CLI::App& app, CliContext& ctx) {
  auto vectors = std::make_shared<std::vector<std::string>>();
  auto bare = std::make_shared<bool>(false);
  auto* cvss = AddCommand(app, "cvss");
  cvss->add_option("vector", *vectors, "CVSS:3.1/... or CVSS:4.0/... vectors, or '-' for stdin")
      ->required();
  cvss->add_flag("--bare", *bare, "With '-': print v4.0 scores bare (VECTOR - 9.3)");
  cvss->callback([&ctx, vectors, bare] {
    if (vectors->size() == 1 && vectors->front() == "-") {
      const advisory::ScoreLineStyle style =
          *bare ? advisory::ScoreLineStyle::kBare : advisory::ScoreLineStyle::kTuple;
      std::string line;
      size_t number = 0;
      int c = 0;
      bool too_long = false;
      // Reads byte by byte through stdio's buffer so an endless line cannot exhaust memory.
      while (true) {
        c = std::fgetc(stdin);
        if (c != EOF && c != '\n') {
          if (line.size() < kMaxLineBytes) {
            line.push_back(static_cast<char>(c));
          } else {
            too_long = true;
          }
          continue;
        }
        if (c == EOF && line.empty() && !too_long) break;
        ++number;
        if (number > kMaxLines) {
          ctx.Check(Status::TooLarge("more than " + std::to_string(kMaxLines) + " lines"));
          return;
        }
        if (!line.empty() && line.back() == '\r') line.pop_back();
        Status error;
        if (too_long) {
          error = Status::TooLarge("line " + std::to_string(number) + " is longer than " +
                                   std::to_string(kMaxLineBytes) + " bytes");
        } else if (!line.empty()) {
          Result<std::string> scored = advisory::FormatScoreLine(line, style);
          if (scored.ok()) {
            ctx.Print(*scored + "\n");
          } else {
            error = Status(scored.status().code(),
                           "line " + std::to_string(number) + ": " + scored.status().message());
          }
        }
        // A bad line is reported and the rest still scored; the exit code tells of the error.
        if (!error.ok()) {
          std::fflush(stdout);
          ctx.Check(error);
        }
        line.clear();
        too_long = false;
        if (c == EOF) break;
      }
      return;
    }
    for (const std::string& v : *vectors) {
      Result<std::string> described = Describe(v);
      if (described.ok()) {
        ctx.Print(*described + "\n");
      } else {
        std::fflush(stdout);
        ctx.Check(described.status());
      }
    }
  });
}

}  // namespace vigil
