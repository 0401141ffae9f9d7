// JsonBody: one parser for every JSON request body, with exact errors that name the field.
#include "http/json_body.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil {
namespace {

HttpRequest Body(std::string body, std::string type = "application/json") {
  HttpRequest r;
  r.body = std::move(body);
  r.content_type = std::move(type);
  return r;
}

std::string ParseError(const HttpRequest& req) {
  Result<JsonBody> b = JsonBody::Parse(req, {"a", "n", "flag", "list", "rows"});
  return b.ok() ? "ok" : b.status().message();
}

TEST(JsonBodyTest, RefusesWhatIsNotAnObjectOfKnownFields) {
  EXPECT_EQ(ParseError(Body("{}", "text/plain")), "Content-Type must be application/json");
  EXPECT_EQ(ParseError(Body("{")), "request body is not valid JSON");
  EXPECT_EQ(ParseError(Body("[1]")), "request body must be a JSON object");
  EXPECT_EQ(ParseError(Body(R"({"a":"x","zz":1})")), "unknown field \"zz\"");
  EXPECT_EQ(ParseError(Body("")), "ok");  // an empty body is an empty object
  // Nesting is bounded: 16 levels pass, 17 do not.
  std::string deep16 = R"({"a":)" + std::string(15, '[') + std::string(15, ']') + "}";
  std::string deep17 = R"({"a":)" + std::string(16, '[') + std::string(16, ']') + "}";
  EXPECT_EQ(ParseError(Body(deep16)), "ok");
  EXPECT_EQ(ParseError(Body(deep17)), "request body is not valid JSON");
}

TEST(JsonBodyTest, TypedAccessorsNameTheField) {
  Result<JsonBody> b =
      JsonBody::Parse(Body(R"({"a":1,"n":"x","flag":"yes","list":[1],"rows":[{"id":2}]})"),
                      {"a", "n", "flag", "list", "rows", "missing"});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->String("a", false).status().message(), "field \"a\" must be a string");
  EXPECT_EQ(b->Int("n", false).status().message(), "field \"n\" must be an integer");
  EXPECT_EQ(b->Bool("flag").status().message(), "field \"flag\" must be a boolean");
  EXPECT_EQ(b->OptStrings("list").status().message(), "field \"list\" must be an array of strings");
  EXPECT_EQ(b->OptRows("rows", {"id"}).status().message(), "field \"rows.id\" must be a string");
  EXPECT_EQ(b->String("missing", true).status().message(), "field \"missing\" is required");
  EXPECT_EQ(b->Int("missing", true).status().message(), "field \"missing\" is required");
  EXPECT_EQ(*b->String("missing", false), "");
  EXPECT_FALSE(b->OptInt("missing")->has_value());
  EXPECT_FALSE(*b->Bool("missing"));
}

TEST(JsonBodyTest, ReadsValues) {
  Result<JsonBody> b =
      JsonBody::Parse(Body(R"({"s":"x","i":-3,"t":true,"l":["a","b"],"r":[{"k":"v"},{}]})"),
                      {"s", "i", "t", "l", "r"});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b->String("s", true), "x");
  EXPECT_EQ(*b->Int("i", true), -3);
  EXPECT_TRUE(*b->Bool("t"));
  EXPECT_EQ(**b->OptStrings("l"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(**b->OptRows("r", {"k"}), (std::vector<std::vector<std::string>>{{"v"}, {""}}));
  HttpResponse r = JsonResponse(201, boost::json::object{{"id", "x"}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "{\"id\":\"x\"}\n");
}

}  // namespace
}  // namespace vigil
